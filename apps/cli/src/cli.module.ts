import { Module } from '@nestjs/common';
import { ExportCommand } from './commands/export.command.js';
import { ImportCommand } from './commands/import.command.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { UpgradeCommand } from './commands/upgrade.command.js';

@Module({ providers: [MigrateCommand, ExportCommand, ImportCommand, UpgradeCommand] })
export class CliModule {}
