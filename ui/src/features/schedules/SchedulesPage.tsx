import { Link } from 'react-router';
import { useCreateSchedule, useSchedules } from '../../api/schedule-queries';
import { useSpecs } from '../../api/spec-queries';
import { EmptyState } from '../../components/EmptyState';
import { ProblemAlert } from '../../components/ProblemAlert';
import { ScheduleCard } from './ScheduleCard';
import { ScheduleForm } from './ScheduleForm';
import './schedules.css';

/** Temporal Schedules that run saved specs: each with its next and recent runs, and a form for more. */
export default function SchedulesPage() {
  const schedules = useSchedules();
  const specs = useSpecs();
  const create = useCreateSchedule();
  const specNames = specs.data?.specs.map((spec) => spec.name) ?? [];
  const list = schedules.data?.schedules ?? [];
  return (
    <section className="page schedules-page">
      <div className="page-head">
        <h1>Schedules</h1>
      </div>
      <ProblemAlert error={schedules.error} title="The schedules could not be listed" />
      <div className="schedules-layout">
        <div className="schedule-list">
          {schedules.isPending && (
            <p className="muted" role="status">
              Loading schedules…
            </p>
          )}
          {schedules.isSuccess && list.length === 0 && (
            <EmptyState title="No schedules yet">
              <p>
                A schedule runs a saved spec.{' '}
                {specNames.length === 0 ? (
                  <>
                    Save one on the <Link to="/specs">Specs</Link> page first (try <code>hello.yaml</code>),
                    then create
                  </>
                ) : (
                  'Create'
                )}{' '}
                a schedule with the form.
              </p>
            </EmptyState>
          )}
          {list.map((schedule) => (
            <ScheduleCard key={schedule.id} schedule={schedule} />
          ))}
        </div>
        <aside className="schedule-new" aria-labelledby="new-schedule">
          <h2 id="new-schedule">New schedule</h2>
          {specs.isSuccess && specNames.length === 0 && (
            <p className="muted small">
              There are no saved specs to schedule: save one on the <Link to="/specs">Specs</Link> page.
            </p>
          )}
          <ScheduleForm
            key={create.data?.id ?? 'new'}
            specNames={specNames}
            pending={create.isPending}
            onSubmit={(body) => create.mutate(body)}
          />
          {create.isSuccess && (
            <p className="notice small" role="status">
              Created {create.data.id}.
            </p>
          )}
          <ProblemAlert error={create.error} title="The schedule was not created" />
          <ProblemAlert error={specs.error} title="The saved specs could not be listed" />
        </aside>
      </div>
    </section>
  );
}
