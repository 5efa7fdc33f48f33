import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured logger per function. Never log whole events, request bodies, card data or
 * secrets: log ids and outcomes.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'sales-ops' });
