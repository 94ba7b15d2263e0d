/**
 * Translation between OpenAPI path templates and find-my-way (Fastify's router) paths.
 *
 * find-my-way reads `:` as the start of a parameter, so a literal colon is written `::`
 * (`users:invite` becomes `users::invite`). A parameter followed by literal text in the same segment,
 * as in `{tenantId}:accept`, gets a regular expression that stops at the colon:
 * `:tenantId(^[^:]+)::accept`. Without it, find-my-way 9 files `{tenantId}:accept` and
 * `{tenantId}:decline` under one parametric node and rejects the second as a duplicate route.
 */

/** Pattern for a parameter that ends where the next literal colon starts. */
const PARAMETER_BEFORE_COLON = "(^[^:]+)";

const TEMPLATE_PART = /\{([^{}]+)\}|[^{}]+/g;

/** Translates an OpenAPI path template into a find-my-way path. */
export function toRouterPath(template: string): string {
  return template
    .split("/")
    .map((segment) => {
      const parts = [...segment.matchAll(TEMPLATE_PART)];
      return parts
        .map((part, index) => {
          const parameter = part[1];
          if (parameter === undefined) return part[0].replaceAll(":", "::");
          const followedByText = index < parts.length - 1;
          if (followedByText && !(parts[index + 1]?.[0].startsWith(":") ?? false)) {
            throw new Error(`Path ${template}: a parameter inside a segment must be followed by a colon, as in {id}:verb`);
          }
          return followedByText ? `:${parameter}${PARAMETER_BEFORE_COLON}` : `:${parameter}`;
        })
        .join("");
    })
    .join("/");
}

/** Translates a find-my-way path written by `toRouterPath` back into its OpenAPI template. */
export function fromRouterPath(routerPath: string): string {
  return routerPath
    .split("/")
    .map((segment) => {
      let template = "";
      for (let index = 0; index < segment.length; ) {
        if (segment.startsWith("::", index)) {
          template += ":";
          index += 2;
        } else if (segment[index] === ":") {
          const match = /^:([A-Za-z0-9_]+)(\([^)]*\))?/.exec(segment.slice(index));
          if (match?.[1] === undefined) throw new Error(`Cannot read the parameter at ${segment.slice(index)} in ${routerPath}`);
          template += `{${match[1]}}`;
          index += match[0].length;
        } else {
          template += segment[index];
          index += 1;
        }
      }
      return template;
    })
    .join("/");
}

/** Compiles a template into a regular expression over request paths: each parameter matches one non-empty segment. */
export function toPathPattern(template: string): RegExp {
  const source = template
    .split(/(\{[^{}]+\})/)
    .map((part) => (part.startsWith("{") ? "[^/]+?" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}
