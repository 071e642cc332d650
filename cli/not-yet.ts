// Placeholder action for commands whose issue has not landed yet; it says so and fails.
export function notYet(what: string): () => never {
  return () => {
    console.error(`rackvisor ${what}: not yet implemented in this build.`);
    process.exit(2);
  };
}
