// Opens a driver by name for the length of one command and always releases it.
import { builtinRegistry } from '../drivers/builtin.js';
import type { Hal } from '../hal/hal.js';

export async function withDriver<T>(name: string, use: (hal: Hal) => Promise<T>): Promise<T> {
  const hal = await builtinRegistry().create(name);
  try {
    return await use(hal);
  } finally {
    await hal.close();
  }
}
