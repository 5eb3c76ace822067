import { DefaultLogger, Runtime } from '@temporalio/worker';

// In-process workers log through the SDK's default logger: at WARN, so the workflows' step lines (INFO)
// and the SDK's own do not drown a test run's output. Worker processes log as TROUPE_LOG_LEVEL says.
Runtime.install({ logger: new DefaultLogger('WARN') });
