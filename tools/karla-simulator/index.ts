export { startKarlaSimulator, parseBasicAuth } from './server';
export { signDelivery, LOOPBACK_HOSTS } from './delivery';
export { matchesEnabledEvents } from './validation';
export type {
	DeliverOptions,
	DeliveryAttempt,
	DeliveryResult,
	KarlaSimulator,
	KarlaSimulatorOptions,
	SimulatedWebhook,
	SimulatorShop,
} from './types';
