// Defaults that both the CLI's help and the server read, in a module that imports nothing: the
// CLI shows them without loading the server stack.

/** The longest wait for requests in flight once the server stops accepting, on shutdown. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
