#!/usr/bin/env node
// Thin launcher so `npx idm` works without a build step: runs the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
