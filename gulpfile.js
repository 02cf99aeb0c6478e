const { task, src, dest } = require('gulp');

// tsc emits only JavaScript; n8n also needs each node's icons and codex file beside it in dist.
task('build:assets', () =>
	src(['nodes/**/*.{png,svg}', 'nodes/**/*.node.json', 'credentials/**/*.{png,svg}'], {
		base: '.',
		encoding: false,
	}).pipe(dest('dist')),
);
