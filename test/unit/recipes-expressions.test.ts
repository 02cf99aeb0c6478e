import { readdirSync, readFileSync } from 'fs';
import { join, resolve } from 'path';
import {
	ExpressionParser,
	type IBinaryData,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { KarlaClaimNormalize } from '../../nodes/KarlaClaimNormalize/KarlaClaimNormalize.node';
import { handleDelivery } from '../../nodes/shared/delivery';
import { karlaSignature } from '../helpers/signer';

/**
 * Checks every expression of every workflow in examples/ against what its input really holds.
 * The data comes from the real nodes: the trigger's delivery handling and the Normalize node's
 * execute(), run on a claim that fills every field. From there the check follows the workflow's
 * connections through the n8n nodes whose output it can derive from their parameters (Set, If,
 * Filter, Remove Duplicates, Split Out, Extract From File, Aggregate). Nodes that call an API
 * produce data the check cannot know; references to their output are left to the end-to-end
 * tests.
 */

const EXAMPLES_DIR = resolve(__dirname, '..', '..', 'examples');
const SECRET = 'expression-check-secret-0123';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);

interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
}

interface Connection {
	node: string;
	type: string;
	index: number;
}

interface Workflow {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, { main?: Connection[][] }>;
}

type Json = Record<string, unknown>;

/** Sample of a node's output items, or unknown when they come from an API's response. */
type Shape = { known: true; json: Json; binary: string[] } | { known: false; origin: string };

/** A claim event with every field Karla documents, and the order, customer and shipment data. */
const FULL_CLAIM_EVENT = {
	source: 'claims',
	ref: 'claims/created',
	version: 1,
	triggered_at: '2026-03-02T09:15:00+00:00',
	event_group: 'claim_created',
	event_data: {
		claim_id: '5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13',
		event_name: 'created',
		event_group: 'claim_created',
		created_at: '2026-03-02T09:14:58+00:00',
		updated_at: '2026-03-02T09:14:58+00:00',
		status: 'pending',
		reason: 'partial_damage',
		resolution_preference: 'refund',
		description: 'Box crushed on one corner, the mug inside is chipped',
		customer_signature_image_url: 'https://cdn.gokarla.io/a1/signature.png',
		selected_items: [
			{
				sku: 'MUG-BLUE-01',
				title: 'Blue mug',
				quantity: 2,
				net_price: 12.5,
				image_urls: ['https://cdn.gokarla.io/a1/mug.jpg'],
			},
			{ sku: 'SAUCER-02', title: 'Saucer', quantity: 1, net_price: 4.9, image_urls: [] },
		],
		image_urls: ['https://cdn.gokarla.io/a1/photo-1.jpg', 'https://cdn.gokarla.io/a1/photo-2.jpg'],
		optional_image_urls: ['https://cdn.gokarla.io/a1/photo-3.jpg'],
	},
	context: {
		order: {
			uuid: 'f3e1c0aa-8b8e-4a57-9d52-0c1c4c7e0b11',
			external_id: 'order-1001',
			external_customer_id: 'cust-77',
			order_number: '1001',
			order_name: '#1001',
			currency: 'EUR',
			total_order_price: '49.90',
			address: {
				name: 'Jane Doe',
				company: 'Doe Ceramics',
				phone: '+49 30 1234567',
				street: 'Hauptstraße 1',
				address_line_1: 'Hauptstraße 1',
				address_line_2: 'Hinterhaus',
				zip_code: '10115',
				city: 'Berlin',
				province: 'Berlin',
				province_code: 'BE',
				country: 'Germany',
				country_code: 'DE',
			},
		},
		customer: {
			external_id: 'cust-77',
			email: 'jane.doe@example.com',
			first_name: 'Jane',
			last_name: 'Doe',
		},
		shipments: [
			{
				tracking_number: '00340434161234567890',
				tracking_url: 'https://tracking.example/00340434161234567890',
				carrier_reference: 'dhl',
			},
		],
		claims: [],
	},
	shop_slug: 'example-shop',
	shop_id: 'shop-42',
};

/** Returns the item Karla Claim Trigger emits for the full claim: the event plus `karla_delivery`. */
function triggerItem(): Json {
	const rawBody = Buffer.from(JSON.stringify(FULL_CLAIM_EVENT), 'utf8');
	const timestamp = 1_772_443_000;
	const outcome = handleDelivery(
		{
			signatureHeader: karlaSignature(SECRET, rawBody, timestamp),
			rawBody,
			secrets: { current: SECRET },
			receivedAtMs: timestamp * 1000,
		},
		{
			events: ['claims/created', 'claims/updated'],
			toleranceSeconds: 300,
			nonClaimEvents: 'ignore',
			invalidClaims: 'emit',
		},
	);
	if (outcome.action !== 'emit') throw new Error(`The fixture was not emitted: ${outcome.action}`);
	return outcome.item;
}

/** Runs the real Normalize node on one item. Every photo request gets a small JPEG. */
async function runNormalize(parameters: Json, input: Json): Promise<INodeExecutionData[]> {
	const context = {
		getInputData: () => [{ json: input }],
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown) =>
			parameters[name] ?? fallback,
		getNode: () => ({ name: 'Karla Claim Normalize', type: 'karlaClaimNormalize', typeVersion: 1 }),
		continueOnFail: () => false,
		helpers: {
			httpRequest: async () => ({
				statusCode: 200,
				headers: { 'content-type': 'image/jpeg' },
				body: JPEG,
			}),
			prepareBinaryData: async (
				buffer: Buffer,
				fileName: string,
				mimeType: string,
			): Promise<IBinaryData> => ({ data: buffer.toString('base64'), fileName, mimeType }),
		},
	} as unknown as IExecuteFunctions;
	const [items] = await new KarlaClaimNormalize().execute.call(context);
	return items;
}

// ------------------------------------------------------------------------------------------
// Following the data through the workflow.

const PASS_THROUGH_TYPES = [
	'n8n-nodes-base.if',
	'n8n-nodes-base.filter',
	'n8n-nodes-base.removeDuplicates',
	'n8n-nodes-base.noOp',
];

function isKarlaNode(node: WorkflowNode, name: string): boolean {
	return node.type.endsWith(`.${name}`);
}

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(value: unknown, path: string): unknown {
	let current = value;
	for (const key of path.split('.')) {
		if (!isObject(current)) return undefined;
		current = current[key];
	}
	return current;
}

function setPath(target: Json, path: string, value: unknown): void {
	const keys = path.split('.');
	let current = target;
	for (const key of keys.slice(0, -1)) {
		if (!isObject(current[key])) current[key] = {};
		current = current[key] as Json;
	}
	current[keys[keys.length - 1]] = value;
}

class RecipeGraph {
	private readonly shapes = new Map<string, Promise<Shape>>();

	constructor(readonly workflow: Workflow) {}

	node(name: string): WorkflowNode | undefined {
		return this.workflow.nodes.find((node) => node.name === name);
	}

	parents(name: string): string[] {
		const parents: string[] = [];
		for (const [source, outputs] of Object.entries(this.workflow.connections)) {
			for (const targets of outputs.main ?? []) {
				if (targets.some((target) => target.node === name)) parents.push(source);
			}
		}
		return parents;
	}

	ancestors(name: string, seen = new Set<string>()): Set<string> {
		for (const parent of this.parents(name)) {
			if (seen.has(parent)) continue;
			seen.add(parent);
			this.ancestors(parent, seen);
		}
		return seen;
	}

	async inputShapes(name: string): Promise<Shape[]> {
		return await Promise.all(this.parents(name).map(async (parent) => await this.output(parent)));
	}

	async output(name: string): Promise<Shape> {
		let shape = this.shapes.get(name);
		if (shape === undefined) {
			shape = this.computeOutput(name);
			this.shapes.set(name, shape);
		}
		return await shape;
	}

	private async firstKnownInput(name: string): Promise<Shape> {
		const inputs = await this.inputShapes(name);
		return inputs.find((input) => input.known) ?? { known: false, origin: name };
	}

	private async computeOutput(name: string): Promise<Shape> {
		const node = this.node(name);
		if (node === undefined) throw new Error(`Node not found: ${name}`);
		const parameters = node.parameters;

		if (isKarlaNode(node, 'karlaClaimTrigger')) {
			return { known: true, json: triggerItem(), binary: [] };
		}
		if (isKarlaNode(node, 'karlaClaimNormalize')) {
			const input = await this.firstKnownInput(name);
			if (!input.known) return { known: false, origin: name };
			const [item] = await runNormalize(parameters, input.json);
			return { known: true, json: item.json, binary: Object.keys(item.binary ?? {}) };
		}
		if (PASS_THROUGH_TYPES.includes(node.type)) return await this.firstKnownInput(name);

		const input = await this.firstKnownInput(name);
		switch (node.type) {
			case 'n8n-nodes-base.set':
				return this.setOutput(parameters, input);
			case 'n8n-nodes-base.splitOut':
				return this.splitOutOutput(node, input);
			case 'n8n-nodes-base.extractFromFile':
				return this.extractOutput(node, input);
			case 'n8n-nodes-base.aggregate':
				return await this.aggregateOutput(node);
			default:
				return { known: false, origin: name };
		}
	}

	private setOutput(parameters: Json, input: Shape): Shape {
		const assignments = getPath(parameters, 'assignments.assignments');
		const json: Json = {};
		for (const assignment of Array.isArray(assignments) ? assignments : []) {
			const { name, value } = assignment as { name: string; value: unknown };
			json[name] = value;
		}
		if (parameters.includeOtherFields !== true) return { known: true, json, binary: [] };
		if (!input.known) return { known: false, origin: 'Set' };
		const stripBinary = getPath(parameters, 'options.stripBinary') === true;
		return {
			known: true,
			json: { ...input.json, ...json },
			binary: stripBinary ? [] : input.binary,
		};
	}

	private splitOutOutput(node: WorkflowNode, input: Shape): Shape {
		if (!input.known) return { known: false, origin: node.name };
		const field = String(node.parameters.fieldToSplitOut ?? '');
		if (field.includes(',') || field === '$binary') {
			throw new Error(`${node.name}: the check follows one JSON field only, not "${field}"`);
		}
		const value = getPath(input.json, field);
		const element: unknown = Array.isArray(value) ? value[0] : value;
		if (element === undefined) {
			throw new Error(`${node.name}: "${field}" is empty for the full claim, nothing to follow`);
		}
		const destination = String(getPath(node.parameters, 'options.destinationFieldName') ?? '');
		const include = String(node.parameters.include ?? 'noOtherFields');
		let json: Json =
			destination !== ''
				? { [destination]: element }
				: isObject(element) && include === 'noOtherFields'
					? { ...element }
					: { [field]: element };
		if (include === 'allOtherFields') {
			const rest = { ...input.json };
			delete rest[field];
			json = { ...rest, ...json };
		}
		const includeBinary = getPath(node.parameters, 'options.includeBinary') === true;
		return { known: true, json, binary: includeBinary ? input.binary : [] };
	}

	private extractOutput(node: WorkflowNode, input: Shape): Shape {
		if (!input.known) return { known: false, origin: node.name };
		if (node.parameters.operation !== 'binaryToPropery') return { known: false, origin: node.name };
		const keepSource = String(getPath(node.parameters, 'options.keepSource') ?? '');
		const json: Json =
			keepSource === 'json' || keepSource === 'both'
				? (JSON.parse(JSON.stringify(input.json)) as Json)
				: {};
		setPath(json, String(node.parameters.destinationKey ?? 'data'), 'QmFzZTY0');
		return { known: true, json, binary: input.binary };
	}

	private async aggregateOutput(node: WorkflowNode): Promise<Shape> {
		if (node.parameters.aggregate === 'aggregateAllItemData') {
			return { known: false, origin: node.name };
		}
		const inputs = await this.inputShapes(node.name);
		const fields = getPath(node.parameters, 'fieldsToAggregate.fieldToAggregate');
		const mergeLists = getPath(node.parameters, 'options.mergeLists') === true;
		const json: Json = {};
		for (const entry of Array.isArray(fields) ? fields : []) {
			const { fieldToAggregate, renameField, outputFieldName } = entry as Json;
			const path = String(fieldToAggregate);
			const output = renameField === true ? String(outputFieldName) : path.split('.').pop();
			const sample = inputs
				.filter((input): input is Extract<Shape, { known: true }> => input.known)
				.map((input) => getPath(input.json, path))
				.find((value) => value !== undefined);
			const values =
				sample === undefined ? [] : mergeLists && Array.isArray(sample) ? sample : [sample];
			json[String(output)] = values;
		}
		return { known: true, json, binary: [] };
	}
}

// ------------------------------------------------------------------------------------------
// Finding references in expressions.

const PATH = String.raw`((?:\s*\??\.\s*[A-Za-z_$][\w$]*|\s*\[\s*(?:'[^']*'|"[^"]*"|\d+)\s*\])*)`;
const ACCESSOR = String.raw`(?:item|first\(\s*\)|last\(\s*\)|all\(\s*\)\s*\[\s*\d+\s*\]|itemMatching\([^)]*\))`;
const JSON_REFERENCE = new RegExp(String.raw`\$json${PATH}`, 'g');
const BINARY_REFERENCE = new RegExp(String.raw`\$binary${PATH}`, 'g');
const NODE_REFERENCE = new RegExp(
	String.raw`\$\(\s*(['"])(.+?)\1\s*\)\s*\.\s*${ACCESSOR}\s*\.\s*json${PATH}`,
	'g',
);
const ANY_NODE_REFERENCE = /\$\(\s*(['"])(.+?)\1\s*\)/g;

/** Splits `.a?.b['c'][0]` into `['a', 'b', 'c', '0']`. */
function pathSegments(text: string): string[] {
	const segments: string[] = [];
	const segment = /\??\.\s*([A-Za-z_$][\w$]*)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/g;
	for (let match = segment.exec(text); match !== null; match = segment.exec(text)) {
		segments.push(match[1] ?? match[2] ?? match[3] ?? match[4]);
	}
	return segments;
}

/**
 * Follows the segments through a sample value and returns the first missing one, or null. The
 * walk stops, satisfied, at an array (what follows is a method such as `.join` or an element of
 * unknown shape) and at a primitive or null.
 */
function missingSegment(sample: unknown, segments: string[]): string | null {
	let value = sample;
	for (const [index, segment] of segments.entries()) {
		if (Array.isArray(value)) {
			if (!/^\d+$/.test(segment) || value.length === 0) return null;
			value = value[0];
			continue;
		}
		if (!isObject(value)) return null;
		if (!(segment in value)) return segments.slice(0, index + 1).join('.');
		value = value[segment];
	}
	return null;
}

/** Returns the JavaScript of every expression in a node, as n8n splits it. */
function expressionCode(node: WorkflowNode): string[] {
	const code: string[] = [];
	const visit = (value: unknown): void => {
		if (typeof value === 'string') {
			if (node.type === 'n8n-nodes-base.code' || !value.startsWith('=')) return;
			for (const chunk of ExpressionParser.splitExpression(value)) {
				if (chunk.type === 'code') code.push(chunk.text);
				else if (chunk.text.includes('}}')) code.push(`}} outside an expression: ${chunk.text}`);
			}
		} else if (Array.isArray(value)) {
			value.forEach(visit);
		} else if (isObject(value)) {
			Object.values(value).forEach(visit);
		}
	};
	visit(node.parameters);
	if (node.type === 'n8n-nodes-base.code') {
		for (const key of ['jsCode', 'pythonCode']) {
			if (typeof node.parameters[key] === 'string') code.push(node.parameters[key]);
		}
	}
	return code;
}

/** Checks every expression of a workflow and returns one message per problem. */
async function checkWorkflow(workflow: Workflow): Promise<string[]> {
	const graph = new RecipeGraph(workflow);
	const problems: string[] = [];

	for (const node of workflow.nodes) {
		if (node.type === 'n8n-nodes-base.stickyNote') continue;
		const inputs = await graph.inputShapes(node.name);
		const knownInputs = inputs.filter(
			(input): input is Extract<Shape, { known: true }> => input.known,
		);
		const ancestors = graph.ancestors(node.name);

		for (const code of expressionCode(node)) {
			const report = (message: string) => problems.push(`${node.name}: ${message}`);
			if (code.startsWith('}} outside')) {
				report(code);
				continue;
			}
			if (node.type !== 'n8n-nodes-base.code') {
				try {
					// Compiles without running, to catch syntax errors in the JavaScript.
					new Function('$json', '$', '$binary', `return (${code});`);
				} catch (error: unknown) {
					report(`expression is not valid JavaScript (${(error as Error).message}): ${code}`);
				}
			}

			for (const match of code.matchAll(JSON_REFERENCE)) {
				const segments = pathSegments(match[1]);
				for (const input of knownInputs) {
					const missing = missingSegment(input.json, segments);
					if (missing !== null) report(`$json.${missing} is not in its input`);
				}
			}

			for (const match of code.matchAll(BINARY_REFERENCE)) {
				const [property] = pathSegments(match[1]);
				if (property === undefined) continue;
				for (const input of knownInputs) {
					if (!input.binary.includes(property)) report(`$binary.${property} is not in its input`);
				}
			}

			const checkedNodeReferences = new Set<number>();
			for (const match of code.matchAll(NODE_REFERENCE)) {
				checkedNodeReferences.add(match.index);
				const target = match[2];
				if (graph.node(target) === undefined) {
					report(`$('${target}') names no node of the workflow`);
					continue;
				}
				if (!ancestors.has(target)) {
					report(`$('${target}') has not run when this node runs`);
					continue;
				}
				const shape = await graph.output(target);
				if (!shape.known) continue;
				const missing = missingSegment(shape.json, pathSegments(match[3]));
				if (missing !== null) report(`$('${target}') output has no ${missing}`);
			}
			for (const match of code.matchAll(ANY_NODE_REFERENCE)) {
				if (!checkedNodeReferences.has(match.index)) {
					report(`$('${match[2]}') is used in a form the check does not follow`);
				}
			}
			if (/\$node\s*\[/.test(code)) report("$node[...] is used; write $('Node name') instead");
		}
	}
	return problems;
}

function readExamples(): Array<{ file: string; workflow: Workflow }> {
	return readdirSync(EXAMPLES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file) => ({
			file,
			workflow: JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as Workflow,
		}));
}

// ------------------------------------------------------------------------------------------

describe('recipe expressions', () => {
	const examples = readExamples();

	it('examples folder has workflows', () => {
		expect(examples.length).toBeGreaterThan(0);
	});

	it.each(examples.map(({ file }) => file))('%s refers only to real fields', async (file) => {
		const { workflow } = examples.find((example) => example.file === file)!;
		expect(await checkWorkflow(workflow)).toEqual([]);
	});

	it('normalize output feeds the check', async () => {
		const [item] = await runNormalize({ options: { downloadPhotos: true } }, triggerItem());
		expect(item.json.customer_email).toBe('jane.doe@example.com');
		expect(item.json.shipping_address).toEqual(
			expect.objectContaining({ city: 'Berlin', country_code: 'DE' }),
		);
		expect(item.json.tracking_numbers).toEqual(['00340434161234567890']);
		expect(Object.keys(item.binary ?? {})).toEqual(['photo_0', 'photo_1', 'photo_2']);
	});

	it('check reports wrong references', async () => {
		const workflow: Workflow = {
			name: 'broken',
			nodes: [
				{
					name: 'Karla Claim Trigger',
					type: 'n8n-nodes-karla.karlaClaimTrigger',
					typeVersion: 1,
					parameters: {},
				},
				{
					name: 'Karla Claim Normalize',
					type: 'n8n-nodes-karla.karlaClaimNormalize',
					typeVersion: 1,
					parameters: { options: {} },
				},
				{
					name: 'Create ticket',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					parameters: {
						url: '={{ $json.ticket_url }}',
						jsonBody:
							"={{ JSON.stringify({ a: $json.customer_mail, b: $('Karla Claim Normalize').item.json.shipping_address.town }) }}",
						headers: "={{ $('Later node').item.json.x }} {{ $binary.photo_0 }} {{ $json[ }}",
						other: '={{ JSON.stringify({ a: { b: 1 }}) }}',
					},
				},
				{
					name: 'Later node',
					type: 'n8n-nodes-base.noOp',
					typeVersion: 1,
					parameters: {},
				},
			],
			connections: {
				'Karla Claim Trigger': {
					main: [[{ node: 'Karla Claim Normalize', type: 'main', index: 0 }]],
				},
				'Karla Claim Normalize': { main: [[{ node: 'Create ticket', type: 'main', index: 0 }]] },
				'Create ticket': { main: [[{ node: 'Later node', type: 'main', index: 0 }]] },
			},
		};
		const problems = await checkWorkflow(workflow);
		expect(problems).toEqual(
			expect.arrayContaining([
				'Create ticket: $json.ticket_url is not in its input',
				'Create ticket: $json.customer_mail is not in its input',
				"Create ticket: $('Karla Claim Normalize') output has no shipping_address.town",
				"Create ticket: $('Later node') has not run when this node runs",
				'Create ticket: $binary.photo_0 is not in its input',
			]),
		);
		expect(problems.some((problem) => problem.includes('not valid JavaScript'))).toBe(true);
		expect(problems.some((problem) => problem.includes('}} outside an expression'))).toBe(true);
	});
});
