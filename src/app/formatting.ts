/** Human-readable sizes and durations for the UI. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown length';
  const whole = Math.round(seconds);
  const m = Math.floor(whole / 60);
  const s = whole % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Time left, e.g. '1:05 left', '1 h 02 min left'; '' when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '';
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole >= 3600) {
    const h = Math.floor(whole / 3600);
    const min = Math.floor((whole % 3600) / 60);
    return `${h} h ${String(min).padStart(2, '0')} min left`;
  }
  return `${formatDuration(whole)} left`;
}

/** Frames per second with sensible precision ('' before the first measurement). */
export function formatFps(fps: number): string {
  if (!(fps > 0)) return '';
  return `${fps < 10 ? fps.toFixed(1) : Math.round(fps)} fps`;
}

/** A share 0..1 as a percentage ('—' when unknown): 0.5 -> '50%', 0.004 -> '0.4%'. */
export function formatPercent(share: number | null): string {
  if (share === null || !Number.isFinite(share)) return '—';
  const pct = share * 100;
  if (pct > 0 && pct < 10) return `${pct.toFixed(1)}%`;
  return `${Math.round(pct)}%`;
}

/** Ends a message with a full stop unless it already ends a sentence ('' stays ''). */
export function asSentence(text: string): string {
  const t = text.trim();
  return t === '' || /[.!?…]$/.test(t) ? t : `${t}.`;
}
