import { DEFAULT_DB_PATH } from './db.js';
import { Store } from './store.js';

/** Opens (creating and migrating as needed) the results database at `path` for writing. */
export function openStore(path: string = DEFAULT_DB_PATH): Store {
  return Store.open(path);
}
