// Returns `{ node, location }` for a node that may be a `$ref`. A `$ref` resolves against the file
// that contains it, which is `location`'s file. An inline node keeps `location`, so the references
// nested inside it later resolve against that same file.
export function followRef(ctx, node, location) {
  return node?.$ref === undefined ? { node, location } : ctx.resolve(node, location.source.absoluteRef);
}
