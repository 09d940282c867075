/**
 * The commands of jupyter-orch's three plugins, as index.ts (the plugin definitions) uses
 * them: the core plugin's in coreCommands.ts, the notebook and editor plugins' (on a file) in
 * fileCommands.ts, their ids in commandIds.ts.
 */
export { CommandIDs } from './commandIds';
export {
  addCoreCommands,
  notifyFinishedRuns,
  panelActions
} from './coreCommands';
export { addEditorCommands, addNotebookCommands } from './fileCommands';
