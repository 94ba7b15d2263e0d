export declare const generatedDir: string;
export declare const bundlePath: string;
export declare function renderTypes(path?: string): Promise<Record<string, string>>;
