import { spreadPercent, type Summary } from './measure';

/** Formats rows as a plain-text table with left-aligned columns. */
export function formatTable(header: string[], rows: string[][]): string {
	const widths = header.map((title, column) =>
		Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
	);
	const line = (cells: string[]) =>
		cells
			.map((cell, column) => cell.padEnd(widths[column]))
			.join('  ')
			.trimEnd();
	const rule = widths.map((width) => '-'.repeat(width)).join('  ');
	return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Formats nanoseconds with a unit that keeps three or four significant digits. */
export function formatDuration(nanoseconds: number): string {
	if (nanoseconds >= 1e6) return `${(nanoseconds / 1e6).toFixed(2)} ms`;
	if (nanoseconds >= 1e3) return `${(nanoseconds / 1e3).toFixed(1)} µs`;
	return `${nanoseconds.toFixed(0)} ns`;
}

export function formatRate(perSecond: number): string {
	return Math.round(perSecond).toLocaleString('en-US');
}

/** Half the interquartile range relative to the median, as `±3 %`. */
export function formatSpread(summary: Summary): string {
	const percent = spreadPercent(summary);
	return `±${percent.toFixed(percent < 10 ? 1 : 0)} %`;
}

export function formatRatio(summary: Summary): string {
	return `${summary.median.toFixed(2)} ${formatSpread(summary)}`;
}

export function formatBytes(bytes: number): string {
	const sign = bytes < 0 ? '-' : '';
	const size = Math.abs(bytes);
	if (size >= 1024 * 1024) return `${sign}${(size / 1024 / 1024).toFixed(1)} MiB`;
	if (size >= 1024) return `${sign}${(size / 1024).toFixed(1)} KiB`;
	return `${sign}${size} B`;
}

export function verdict(met: boolean): string {
	return met ? 'met' : 'MISSED';
}

/** Names the n8n settings a run used beyond n8n's defaults, for table titles. */
export function describeN8nSettings(env: Record<string, string>): string {
	const settings = Object.entries(env).map(([name, value]) => `${name}=${value}`);
	return settings.length === 0 ? "n8n's default settings" : settings.join(', ');
}
