#!/usr/bin/env node
// Launcher: runs the TypeScript CLI without a build step. reflect-metadata must
// load before anything touches tsyringe; tsx's ESM loader compiles src/ on the fly.
import 'reflect-metadata';
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
