// Every error response (4xx, 5xx, their `4XX`/`5XX` ranges and `default`) is an RFC 9457 problem
// document, so its only media type must be application/problem+json.
const PROBLEM_MEDIA_TYPE = "application/problem+json";
const ERROR_STATUS = /^([45]..|[45]XX|default)$/;

export default function ProblemJsonErrors() {
  return {
    Operation: {
      enter(operation, ctx) {
        for (const [status, responseOrRef] of Object.entries(operation.responses ?? {})) {
          if (!ERROR_STATUS.test(status)) continue;

          const mediaTypes = Object.keys(ctx.resolve(responseOrRef).node?.content ?? {});
          if (mediaTypes.length === 1 && mediaTypes[0] === PROBLEM_MEDIA_TYPE) continue;

          const found = mediaTypes.length === 0 ? "no content" : `"${mediaTypes.join('", "')}"`;
          ctx.report({
            message: `Response "${status}" has ${found}, but an error response must have exactly one media type, "${PROBLEM_MEDIA_TYPE}".`,
            location: ctx.location.child(["responses", status]).key(),
          });
        }
      },
    },
  };
}
