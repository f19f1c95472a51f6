/** What test/run.ts shares with every test file through the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through \`npm test\` or \`npx tsx test/run.ts <file>\``);
  return value;
}

export const testEnv = {
  get temporalAddress() { return required('OCR_TEST_TEMPORAL_ADDRESS'); },
  get adminDatabaseUrl() { return required('OCR_TEST_ADMIN_DATABASE_URL'); },
  get workflowBundlePath() { return required('OCR_TEST_WORKFLOW_BUNDLE'); },
  get scratchDir() { return required('OCR_TEST_SCRATCH'); },
  /** Names the run's databases, so a run never drops those of another run going on. */
  get runPid() { return required('OCR_TEST_RUN_PID'); },
};
