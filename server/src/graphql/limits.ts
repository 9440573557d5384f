import { GraphQLError, Kind, getNamedType, isListType, getNullableType, type ASTVisitor, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule, type GraphQLField, type GraphQLObjectType } from 'graphql';

// Query hardening, as validation rules so a rejected query never executes:
// depth (nested selections), aliases (one cheap field asked 100 times), and cost (lists multiply
// their children by `first`, so a small query cannot ask for millions of rows).
export const LIMITS = { maxDepth: 10, maxAliases: 30, maxCost: 20_000, defaultListSize: 20, variableListSize: 100 } as const;

function limitError(code: string, message: string): GraphQLError {
  // Apollo reports every validation error as GRAPHQL_VALIDATION_FAILED; `limit` carries ours through
  // and formatError makes it the code.
  return new GraphQLError(message, { extensions: { code, limit: code } });
}

function fragmentsOf(context: ValidationContext): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) map.set(def.name.value, def);
  return map;
}

/** Walks a selection set through fragments, calling `onField` with each field and its depth. */
function walk(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  onField: (field: FieldNode, depth: number) => void,
  depth = 1,
  seen = new Set<string>(),
): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      onField(selection, depth);
      // Introspection's `ofType` (list of non-null of ...) is one object per level, as deep as the
      // schema wraps a type: it adds no depth, or the standard introspection query that tools send
      // (GraphiQL, codegen; 15 levels, 8 of them ofType) would be refused. No type of ours has a
      // field of that name.
      const next = selection.name.value === 'ofType' ? depth : depth + 1;
      if (selection.selectionSet) walk(selection.selectionSet, fragments, onField, next, seen);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      walk(selection.selectionSet, fragments, onField, depth, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue; // cycles are reported by graphql's own rule
      walk(fragment.selectionSet, fragments, onField, depth, new Set(seen).add(name));
    }
  }
}

export const depthLimit: ValidationRule = (context): ASTVisitor => ({
  OperationDefinition(node) {
    let max = 0;
    walk(node.selectionSet, fragmentsOf(context), (_f, depth) => { max = Math.max(max, depth); });
    if (max > LIMITS.maxDepth) context.reportError(limitError('QUERY_TOO_DEEP', `query depth ${max} exceeds the limit of ${LIMITS.maxDepth}`));
  },
});

export const aliasLimit: ValidationRule = (context): ASTVisitor => ({
  OperationDefinition(node) {
    let aliases = 0;
    walk(node.selectionSet, fragmentsOf(context), (field) => { if (field.alias) aliases++; });
    if (aliases > LIMITS.maxAliases) context.reportError(limitError('TOO_MANY_ALIASES', `query uses ${aliases} aliases; the limit is ${LIMITS.maxAliases}`));
  },
});

/** Cost: 1 per field; a list field multiplies its subtree by `first` (or the default page size). */
export const costLimit: ValidationRule = (context): ASTVisitor => {
  const fragments = fragmentsOf(context);
  const schema = context.getSchema();
  const costOf = (set: SelectionSetNode, parent: GraphQLObjectType | undefined, seen: Set<string>): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const field: GraphQLField<unknown, unknown> | undefined = parent?.getFields()[selection.name.value];
        const named = field ? getNamedType(field.type) : undefined;
        const child = named && 'getFields' in named ? (named as GraphQLObjectType) : undefined;
        const firstArg = selection.arguments?.find((a) => a.name.value === 'first');
        // A connection counts `first` items (its `edges` list is the same items, not another factor);
        // `first` given as a variable is unknown here, so it counts as the largest page.
        const isConnection = Boolean(named?.name.endsWith('Connection'));
        const isList = isConnection || (field && isListType(getNullableType(field.type)) && !parent?.name.endsWith('Connection'));
        const size = !firstArg ? LIMITS.defaultListSize : firstArg.value.kind === Kind.INT ? Number(firstArg.value.value) : LIMITS.variableListSize;
        const sub = selection.selectionSet ? costOf(selection.selectionSet, child, seen) : 0;
        total += 1 + (isList ? size * sub : sub);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += costOf(selection.selectionSet, typed as GraphQLObjectType | undefined, seen);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const typed = schema.getType(fragment.typeCondition.name.value) as GraphQLObjectType | undefined;
        total += costOf(fragment.selectionSet, typed, new Set(seen).add(fragment.name.value));
      }
    }
    return total;
  };
  return {
    OperationDefinition(node) {
      const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
      const cost = costOf(node.selectionSet, root ?? undefined, new Set());
      if (cost > LIMITS.maxCost) context.reportError(limitError('QUERY_TOO_COSTLY', `query cost ${cost} exceeds the limit of ${LIMITS.maxCost}`));
    },
  };
};

export const queryLimits = [depthLimit, aliasLimit, costLimit];
