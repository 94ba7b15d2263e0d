// An operation is secured when its own `security`, or the root `security` it inherits, lists at
// least one requirement. A secured operation can reject a missing or invalid token, so it must
// declare the 401 response. `security: []` opts an operation out (for example health checks).
export default function SecuredOperation401() {
  let rootSecurity = [];

  return {
    Root: {
      enter(root) {
        rootSecurity = root.security ?? [];
      },
    },
    Operation: {
      enter(operation, ctx) {
        const security = operation.security ?? rootSecurity;
        if (security.length === 0 || operation.responses?.["401"] !== undefined) return;

        const name = operation.operationId ?? ctx.key;
        ctx.report({
          message: `Operation "${name}" is secured but "responses" has no "401". Declare a 401 problem response for a missing or invalid token.`,
          location: operation.responses ? ctx.location.child("responses").key() : ctx.location.key(),
        });
      },
    },
  };
}
