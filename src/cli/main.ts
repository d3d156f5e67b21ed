// Entry point of `xpuhal` (bin/xpuhal.js loads this through tsx).
import 'reflect-metadata';
import { main } from './program.js';

process.exitCode = await main();
