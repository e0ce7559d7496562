// Placeholder until the ring-backed implementation lands: Node's own fs.promises.
export * from 'node:fs/promises';
