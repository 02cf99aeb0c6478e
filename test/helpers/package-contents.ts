import { existsSync, readdirSync } from 'fs';
import { join, posix, relative } from 'path';

import { PROJECT_DIR } from '../../scripts/lib/n8n-install';

type Icon = string | { light: string; dark: string } | undefined;

/** Lists the files under a project folder as project-relative paths with forward slashes. */
export function listProjectFiles(folder: string): string[] {
	const absolute = join(PROJECT_DIR, folder);
	if (!existsSync(absolute)) return [];
	return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory()
			? listProjectFiles(posix.join(folder, entry.name))
			: [relative(PROJECT_DIR, join(absolute, entry.name)).split('\\').join('/')],
	);
}

/** Built node files in dist/, such as `dist/nodes/X/X.node.js`. */
export function builtNodeFiles(): string[] {
	return listProjectFiles('dist').filter((file) => file.endsWith('.node.js'));
}

/** Built credential files in dist/. */
export function builtCredentialFiles(): string[] {
	return listProjectFiles('dist').filter((file) => file.endsWith('.credentials.js'));
}

/**
 * Loads a built node or credential class and returns the package paths of the `file:` icons its
 * description references, resolved against the file's folder as n8n resolves them.
 */
export function referencedIcons(builtFile: string): string[] {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- the path is known only at run time
	const exports = require(join(PROJECT_DIR, builtFile)) as Record<string, new () => unknown>;
	const icons: string[] = [];
	for (const Class of Object.values(exports)) {
		if (typeof Class !== 'function') continue;
		const instance = new Class() as { description?: { icon?: Icon }; icon?: Icon };
		const icon = instance.description?.icon ?? instance.icon;
		if (icon === undefined) continue;
		const values = typeof icon === 'string' ? [icon] : [icon.light, icon.dark];
		for (const value of values) {
			if (!value.startsWith('file:')) continue;
			icons.push(posix.join(posix.dirname(builtFile), value.slice('file:'.length)));
		}
	}
	return icons;
}
