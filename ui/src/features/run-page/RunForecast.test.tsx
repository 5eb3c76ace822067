import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { RunForecastFacts } from './RunForecast';

const forecast = {
  success: 0.85,
  costUsd: 0.0012,
  durationMs: 4_200,
  confidence: 'medium' as const,
  records: 14,
  explanation: '85% = product of work 92% (7 records) × check 92% (7 records)',
};

describe("the run's forecast", () => {
  it('states the chance of success, cost, duration and confidence, and how it was reached', () => {
    render(<RunForecastFacts forecast={forecast} onSelectStep={vi.fn()} />);
    const region = screen.getByRole('region', { name: 'Forecast' });
    expect(region.textContent).toContain('85% chance of success · about $0.0012 · about 4.2 s');
    expect(region.textContent).toContain('medium confidence: under 20 records behind a step; 14 records');
    expect(region.getAttribute('data-confidence')).toBe('medium');
    expect(screen.getByText(forecast.explanation)).toBeTruthy();
    expect(screen.queryByTestId('risk-step')).toBeNull();
  });

  it('names the risky step under 50%, and opens it when asked', async () => {
    const onSelectStep = vi.fn();
    render(
      <RunForecastFacts
        forecast={{ ...forecast, success: 0.3, riskStep: 'fix' }}
        onSelectStep={onSelectStep}
      />,
    );
    expect(screen.getByTestId('risk-step').textContent).toContain('the step most likely to fail is');
    await userEvent.click(screen.getByRole('button', { name: 'fix' }));
    expect(onSelectStep).toHaveBeenCalledWith('fix');
  });

  it('shows nothing without a forecast', () => {
    const { container } = render(<RunForecastFacts forecast={undefined} onSelectStep={vi.fn()} />);
    expect(container.innerHTML).toBe('');
  });
});
