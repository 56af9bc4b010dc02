#!/usr/bin/env node
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { EXIT_CANNOT_START } from './cli-error.js';
import { CliModule } from './cli.module.js';

/** Commander's own exits (help) that are not errors. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

await CommandFactory.run(CliModule, {
  cliName: 'workflow-store',
  logger: false,
  // Usage errors (unknown command): commander already printed the reason.
  errorHandler: (error: Error & { code?: string }) => {
    process.exit(CLEAN_EXITS.has(error.code ?? '') ? 0 : EXIT_CANNOT_START);
  },
});
