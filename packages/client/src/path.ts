const PATH_PARAMETER = /\{([^{}]+)\}/g;

/**
 * Fills `{name}` placeholders with percent-encoded values, so an id containing `/`, `?`, `#`, `%` or
 * a space stays one path segment, and a colon custom method such as `{tenantId}:accept` keeps its colon.
 * Throws on a missing value and on "", "." and "..", which no encoding keeps as one segment.
 */
export function serializePath(pathname: string, pathParams: Record<string, unknown> | undefined): string {
  return pathname.replace(PATH_PARAMETER, (_placeholder, name: string) => {
    const value = pathParams?.[name];
    // The URL parser removes "." and ".." segments (also when written %2E), so they cannot reach the server.
    if ((typeof value !== "string" && typeof value !== "number") || value === "" || value === "." || value === "..") {
      throw new TypeError(
        `Path parameter "${name}" of ${pathname} is missing or invalid: pass a non-empty string or number other than "." and ".." as params.path.${name}, got ${JSON.stringify(value)}`,
      );
    }
    return encodeURIComponent(value as string);
  });
}
