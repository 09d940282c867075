/**
 * The commands of jupyter-orch's three plugins, as index.ts (the plugin definitions) uses
 * them, from commands/: the core plugin's in coreCommands.ts, the notebook and editor
 * plugins' (on a file) in fileCommands.ts, their ids in commandIds.ts.
 */
export { CommandIDs } from './commands/commandIds';
export {
  addCoreCommands,
  notifyFinishedRuns,
  panelActions
} from './commands/coreCommands';
export {
  addEditorCommands,
  addNotebookCommands
} from './commands/fileCommands';
