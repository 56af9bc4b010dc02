// The document-review graph of test/langgraph/graph-resume.spec.ts, and a child process that runs it: node
// graph-worker.mjs '<config JSON>'.
//
// The graph (no LLM): START -> extract (splits the document into pages) -> one classify task per page, sent in
// parallel with Send -> review (interrupt: a human approves or rejects) -> approve -> END. `classified` and `trail`
// are appended with a reducer, so each parallel classify result lands once.
//
// As a child process (the spec's "process A") it imports the BUILT library (`#workflow-store` -> dist/, see the
// package's "imports"; run `npm run build` first): it opens a store on config.env, compiles the graph with a
// WorkflowCheckpointSaver, invokes it on config.threadId with config.input until the review interrupts, prints one
// JSON line { type: 'interrupted', result, next, checkpointId } on stdout, closes the store and exits by itself
// (nothing may keep it alive). Any failure: one JSON line { type: 'crashed', error } and exit code 1.
//
// The spec imports this module too (buildReviewGraph), so both processes run one definition of the graph.
import { fileURLToPath } from 'node:url';
import { Annotation, END, START, Send, StateGraph, interrupt } from '@langchain/langgraph';

const append = (left, right) => left.concat(right);

export const ReviewState = Annotation.Root({
  docId: Annotation(),
  text: Annotation(),
  pages: Annotation(),
  classified: Annotation({ reducer: append, default: () => [] }),
  trail: Annotation({ reducer: append, default: () => [] }),
  decision: Annotation(),
  approved: Annotation(),
});

/** A deterministic stand-in for a model: the page's label from its words. */
export function labelOf(text) {
  if (/invoice|amount due/i.test(text)) return 'invoice';
  if (/signature|signed/i.test(text)) return 'signature';
  return 'other';
}

export function buildReviewGraph(checkpointer) {
  return new StateGraph(ReviewState)
    .addNode('extract', (state) => ({ pages: state.text.split('\f'), trail: ['extract'] }))
    // Called with the Send's payload, not the graph state.
    .addNode('classify', (task) => ({
      classified: [{ page: task.page, label: labelOf(task.text), words: task.text.split(/\s+/).filter(Boolean).length }],
      trail: [`classify:${task.page}`],
    }))
    .addNode('review', (state) => {
      const answer = interrupt({
        question: `Approve ${state.docId} (${state.classified.length} pages: ${[...state.classified].sort((a, b) => a.page - b.page).map((c) => c.label).join(', ')})?`,
        pages: state.classified.length,
      });
      return { decision: answer, trail: ['review'] };
    })
    .addNode('approve', (state) => ({ approved: state.decision === 'approved', trail: [`approve:${state.decision}`] }))
    .addEdge(START, 'extract')
    .addConditionalEdges('extract', (state) => state.pages.map((text, page) => new Send('classify', { page, text })), ['classify'])
    .addEdge('classify', 'review')
    .addEdge('review', 'approve')
    .addEdge('approve', END)
    .compile({ checkpointer });
}

async function main() {
  const config = JSON.parse(process.argv[2]);
  const { createWorkflowStore, loadWorkflowStoreConfig, WorkflowCheckpointSaver } = await import('#workflow-store');
  const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
  const store = createWorkflowStore(loadWorkflowStoreConfig(config.env), quiet);
  await store.connect();
  try {
    const graph = buildReviewGraph(new WorkflowCheckpointSaver(store));
    const run = { configurable: { thread_id: config.threadId } };
    const result = await graph.invoke(config.input, run);
    const state = await graph.getState(run);
    process.stdout.write(
      `${JSON.stringify({ type: 'interrupted', result, next: state.next, checkpointId: state.config.configurable?.checkpoint_id })}\n`,
    );
  } finally {
    await store.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stdout.write(`${JSON.stringify({ type: 'crashed', error: String(error?.stack ?? error) })}\n`);
    process.exitCode = 1;
  });
}
