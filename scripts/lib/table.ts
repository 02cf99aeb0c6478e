/**
 * Formats rows as a plain-text table with a header line and a rule under it. Cells longer than
 * their column's `maxWidth` are cut with an ellipsis. Widths count UTF-16 code units, so
 * characters that a terminal draws two columns wide (CJK, emoji) shift the columns after them.
 */
export function formatTable(
	columns: Array<{ title: string; maxWidth?: number }>,
	rows: string[][],
): string {
	const cut = (text: string, maxWidth: number | undefined) =>
		maxWidth !== undefined && text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text;
	const cells = rows.map((row) => row.map((cell, index) => cut(cell, columns[index]?.maxWidth)));
	const widths = columns.map((column, index) =>
		Math.max(column.title.length, ...cells.map((row) => (row[index] ?? '').length)),
	);
	const line = (values: string[]) =>
		values
			.map((value, index) => value.padEnd(widths[index]))
			.join('  ')
			.trimEnd();

	return [
		line(columns.map((column) => column.title)),
		line(widths.map((width) => '-'.repeat(width))),
		...cells.map(line),
	].join('\n');
}
