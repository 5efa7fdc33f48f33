/**
 * The shipping webhook receiver's one read: a store's webhook secrets, and nothing else of the
 * store (one GetItem projecting only them). Strongly consistent, so that a secret is valid the
 * moment its rotation has answered.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ShippingWebhookSecret } from '../stores/shipping-webhook-secrets.ts';
import { storeKey } from './stores-repository.ts';

export function shippingWebhookSecretsReader(client: DynamoDBDocumentClient, tableName: string) {
  return async (storeId: string): Promise<readonly ShippingWebhookSecret[] | undefined> => {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: storeKey(storeId),
        ProjectionExpression: '#secrets',
        ExpressionAttributeNames: { '#secrets': 'shippingWebhookSecrets' },
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) return undefined;
    const secrets: unknown = Item.shippingWebhookSecrets;
    return Array.isArray(secrets) ? (secrets as ShippingWebhookSecret[]) : [];
  };
}
