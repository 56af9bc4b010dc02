/** The little the store needs from a logger; Nest's `Logger` and `console` both fit. */
export interface StoreLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
