import { Module } from '@nestjs/common';
import { ExportCommand } from './commands/export.command.js';
import { ImportCommand } from './commands/import.command.js';
import { MigrateCommand } from './commands/migrate.command.js';

@Module({ providers: [MigrateCommand, ExportCommand, ImportCommand] })
export class CliModule {}
