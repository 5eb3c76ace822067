import { useId } from 'react';
import type { ChatMode, TeamResolution } from '../../api/chat-types';

export type TeamChoice = { agents: string[]; resolve: TeamResolution; rounds: number };
export type ModeChoice = { mode: ChatMode; agent: string; team: TeamChoice };

type Props = { value: ModeChoice; agents: string[]; onChange: (value: ModeChoice) => void };

const modes: { mode: ChatMode; label: string }[] = [
  { mode: 'single', label: 'Single agent' },
  { mode: 'team', label: 'Team' },
  { mode: 'workflow', label: 'Workflow' },
];

/** How the next message is answered: one agent (or auto), a team and how it settles, or a plan. */
export function ModePicker({ value, agents, onChange }: Props) {
  const set = (patch: Partial<ModeChoice>) => onChange({ ...value, ...patch });
  const setTeam = (patch: Partial<TeamChoice>) => set({ team: { ...value.team, ...patch } });
  const id = useId();
  return (
    <div className="chat-mode">
      <fieldset className="chat-modes">
        <legend className="sr-only">Mode</legend>
        {modes.map(({ mode, label }) => (
          <label key={mode} className={value.mode === mode ? 'chat-mode-on' : undefined}>
            <input
              type="radio"
              name="chat-mode"
              value={mode}
              checked={value.mode === mode}
              onChange={() => set({ mode })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {value.mode === 'single' && (
        <div className="chat-inline">
          <label htmlFor={`${id}-agent`}>Agent</label>
          <select
            id={`${id}-agent`}
            value={value.agent}
            onChange={(event) => set({ agent: event.target.value })}
          >
            <option value="auto">auto (chooses and says why)</option>
            {agents.map((agent) => (
              <option key={agent} value={agent}>
                {agent}
              </option>
            ))}
          </select>
        </div>
      )}
      {value.mode === 'team' && (
        <div className="chat-team-pick">
          <fieldset>
            <legend className="small muted">Team (2 to 5)</legend>
            {agents.map((agent) => (
              <label key={agent} className="chat-check">
                <input
                  type="checkbox"
                  checked={value.team.agents.includes(agent)}
                  onChange={(event) =>
                    setTeam({
                      agents: event.target.checked
                        ? [...value.team.agents, agent]
                        : value.team.agents.filter((one) => one !== agent),
                    })
                  }
                />
                {agent}
              </label>
            ))}
          </fieldset>
          <div className="chat-inline">
            <label htmlFor={`${id}-resolve`}>Resolve by</label>
            <select
              id={`${id}-resolve`}
              value={value.team.resolve}
              onChange={(event) => setTeam({ resolve: event.target.value as TeamResolution })}
            >
              <option value="judge">judge (the reviewer picks)</option>
              <option value="vote">vote</option>
              <option value="debate">debate</option>
            </select>
          </div>
          {value.team.resolve === 'debate' && (
            <div className="chat-inline">
              <label htmlFor={`${id}-rounds`}>Rounds</label>
              <input
                id={`${id}-rounds`}
                type="number"
                min={1}
                max={5}
                value={value.team.rounds}
                onChange={(event) =>
                  setTeam({ rounds: Math.min(5, Math.max(1, Math.round(Number(event.target.value)) || 1)) })
                }
              />
            </div>
          )}
        </div>
      )}
    </div>
  );
}
