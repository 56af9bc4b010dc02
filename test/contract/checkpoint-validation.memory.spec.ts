import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import { allowSoftExpect, checkpointerInitializer } from './checkpoint-initializer.js';

// LangGraph's own conformance suite for checkpointers, and its opt-in delta-channel tests, on the memory backend.
allowSoftExpect();
const initializer = checkpointerInitializer('WorkflowCheckpointSaver (memory)', () => ({ USE_REDIS: 'false' }));
validate(initializer);
deltaChannelHistoryTests(initializer);
