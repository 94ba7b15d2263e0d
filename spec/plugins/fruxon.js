// Redocly plugin with the lint rules that are specific to the Fruxon workspace API.
// Each rule lives in rules/<rule-id>.js and is enabled in ../redocly.yaml as `fruxon/<rule-id>`.
import ClosedRequestBodies from "./rules/closed-request-bodies.js";
import ListPagination from "./rules/list-pagination.js";
import ProblemJsonErrors from "./rules/problem-json-errors.js";
import SecuredOperation401 from "./rules/secured-operation-401.js";

export default function fruxonPlugin() {
  return {
    id: "fruxon",
    rules: {
      oas3: {
        "closed-request-bodies": ClosedRequestBodies,
        "list-pagination": ListPagination,
        "problem-json-errors": ProblemJsonErrors,
        "secured-operation-401": SecuredOperation401,
      },
    },
  };
}
