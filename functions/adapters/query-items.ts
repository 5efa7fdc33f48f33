/**
 * Every item one Query matches, page after page: the SDK's paginator follows `LastEvaluatedKey`,
 * so a repository states only its key condition. For partitions that stay small (an order and its
 * pending effects, a tracking head and its early events, a period's KPI rows); a read that must not
 * hold a whole partition in memory iterates `paginateQuery` itself.
 */
import { type DynamoDBDocumentClient, paginateQuery, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

export async function queryItems(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateQuery({ client }, input)) items.push(...(page.Items ?? []));
  return items;
}
