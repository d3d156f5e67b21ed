// The conformance suite's public face: profiles of tests, a runner that takes a
// device factory, and report writers. Imports only src/hal (and itself), so it
// runs unchanged against any driver in process or a HAL endpoint over gRPC.
export type { Hal } from '../src/hal/index.js';
export { ALL_TESTS, testsFor } from './profiles/index.js';
export { runConformance, type RunOptions, type RunOutcome, type Target } from './framework/runner.js';
export { resetDevice } from './framework/reset.js';
export { PROFILES, type ConformanceTest, type Profile, type Status, type TestResult, type Totals } from './framework/types.js';
export { buildReport, writeReports, type Report } from './report/report.js';
export { junitXml } from './report/junit.js';
export { markdownSummary, matrixMarkdown } from './report/markdown.js';
