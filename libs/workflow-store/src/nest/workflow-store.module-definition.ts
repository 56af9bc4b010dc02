import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WorkflowStoreModuleOptions } from './workflow-store-module.options.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<WorkflowStoreModuleOptions>({ moduleName: 'WorkflowStore' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
