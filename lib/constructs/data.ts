import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { TableDefinition } from '../data-model.ts';

export interface DataProps {
  /** The tables to create, by their data-model definition. */
  readonly tables: readonly TableDefinition[];
}

/**
 * The DynamoDB tables of data-model.ts. Every table outlives the stack: it is retained on
 * delete, protected against deletion and restorable to any second of the last 35 days.
 */
export class Data extends Construct {
  private readonly tablesByName = new Map<string, Table>();

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    for (const definition of props.tables) {
      // The construct id is the logical name: renaming it would replace the table.
      const table = new Table(this, definition.name, {
        partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
        ...(definition.sortKey ? { sortKey: { name: definition.sortKey, type: AttributeType.STRING } } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: definition.timeToLiveAttribute,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const index of definition.globalIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          ...(index.sortKey ? { sortKey: { name: index.sortKey, type: AttributeType.STRING } } : {}),
          projectionType: ProjectionType.ALL,
        });
      }
      this.tablesByName.set(definition.name, table);
    }
  }

  /** The table of a data-model definition; throws if it was not created here. */
  table(definition: TableDefinition): Table {
    const table = this.tablesByName.get(definition.name);
    if (!table) throw new Error(`Table '${definition.name}' is not part of this stack`);
    return table;
  }
}
