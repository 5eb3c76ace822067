import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { AppShell } from '../components/AppShell';

// One chunk per page: the runs list loads without the graph, the charts or the editor.
const RunsPage = lazy(() => import('../features/runs/RunsPage'));
const RunPage = lazy(() => import('../features/run-page/RunPage'));
const ApprovalsPage = lazy(() => import('../features/approvals/ApprovalsPage'));
// ui-b's pages: each folder exports its route component as default.
const StartRunPage = lazy(() => import('../features/start-run/StartRunPage'));
const SpecsPage = lazy(() => import('../features/specs/SpecsPage'));
const SchedulesPage = lazy(() => import('../features/schedules/SchedulesPage'));
const AgentsPage = lazy(() => import('../features/agents/AgentsPage'));
const ModelsPage = lazy(() => import('../features/agents/ModelsPage'));
const DashboardsPage = lazy(() => import('../features/dashboards/DashboardsPage'));
const ChatPage = lazy(() => import('../features/chat/ChatPage'));

/** The console's pages; the navigation in AppShell lists the same paths. */
export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AppShell />}>
        <Route index element={<Navigate to="/runs" replace />} />
        <Route path="runs" element={<Page element={<RunsPage />} />} />
        <Route path="runs/:runId" element={<Page element={<RunPage />} />} />
        <Route path="approvals" element={<Page element={<ApprovalsPage />} />} />
        <Route path="start" element={<Page element={<StartRunPage />} />} />
        <Route path="specs/*" element={<Page element={<SpecsPage />} />} />
        <Route path="schedules/*" element={<Page element={<SchedulesPage />} />} />
        <Route path="agents" element={<Page element={<AgentsPage />} />} />
        <Route path="models" element={<Page element={<ModelsPage />} />} />
        <Route path="dashboards" element={<Page element={<DashboardsPage />} />} />
        <Route path="chat" element={<Page element={<ChatPage />} />} />
        <Route path="chat/:sessionId" element={<Page element={<ChatPage />} />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

function Page({ element }: { element: React.ReactNode }) {
  return (
    <Suspense
      fallback={
        <p className="muted" role="status">
          Loading…
        </p>
      }
    >
      {element}
    </Suspense>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        This page does not exist. The runs list is at <a href="/runs">/runs</a>.
      </p>
    </section>
  );
}
