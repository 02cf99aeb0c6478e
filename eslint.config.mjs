import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

const n8nNodesBasePlugin = { 'n8n-nodes-base': n8nNodesBase };

export default tseslint.config(
	{
		ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.n8n-runtime/**', '.tmp/**', '**/*.js'],
	},
	{
		// typescript-eslint parses a .json file as one object expression, which is the shape the
		// package.json rules of both n8n plugins walk.
		files: ['package.json'],
		languageOptions: {
			parser: tseslint.parser,
			parserOptions: { extraFileExtensions: ['.json'] },
		},
		plugins: { ...n8nNodesBasePlugin, ...n8nCommunityNodesPlugin.configs.recommended.plugins },
		rules: {
			...n8nNodesBase.configs.community.rules,
			...n8nCommunityNodesPlugin.configs.recommended.rules,
		},
	},
	{
		files: ['credentials/**/*.ts', 'nodes/**/*.ts'],
		extends: [...tseslint.configs.recommended],
		languageOptions: {
			parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
		},
		plugins: { ...n8nNodesBasePlugin, ...n8nCommunityNodesPlugin.configs.recommended.plugins },
		rules: { ...n8nCommunityNodesPlugin.configs.recommended.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// n8n's newer community rule (credential-documentation-url) requires a full URL, which
			// this older rule, written for n8n's own docs slugs, reports as miscased.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// Both rules below predate NodeConnectionTypes: n8n's newer community rule
			// (node-connection-type-literal) requires the constant where these ask for 'main'.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		files: ['test/**/*.ts', 'scripts/**/*.ts', 'tools/**/*.ts', 'bench/**/*.ts'],
		extends: [...tseslint.configs.recommended],
	},
);
