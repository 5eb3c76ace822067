/** A day's value for the sparkline; undefined leaves a gap (no steps that day). */
export type SparkPoint = { day: string; value: number | undefined };

/**
 * A small inline trend: one point per day, scaled to 0–1, gaps where a day had nothing. An SVG with
 * its own words (`label`), since a line alone says nothing to a screen reader.
 */
export function Sparkline({
  points,
  label,
  width = 96,
  height = 24,
}: {
  points: readonly SparkPoint[];
  label: string;
  width?: number;
  height?: number;
}) {
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const y = (value: number) => height - 2 - Math.min(1, Math.max(0, value)) * (height - 4);
  const segments: string[] = [];
  let current = '';
  points.forEach((point, index) => {
    if (point.value === undefined) {
      if (current) segments.push(current);
      current = '';
      return;
    }
    current += `${current ? 'L' : 'M'}${(index * step).toFixed(1)},${y(point.value).toFixed(1)}`;
  });
  if (current) segments.push(current);
  const dots = points.flatMap((point, index) =>
    point.value === undefined ? [] : [{ x: index * step, y: y(point.value), day: point.day }],
  );
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      data-points={dots.length}
    >
      <line x1={0} x2={width} y1={height - 2} y2={height - 2} className="sparkline-base" />
      {segments.map((d, index) => (
        <path key={index} d={d} className="sparkline-line" />
      ))}
      {dots.map((dot) => (
        <circle key={dot.day} cx={dot.x} cy={dot.y} r={1.8} className="sparkline-dot" />
      ))}
    </svg>
  );
}
