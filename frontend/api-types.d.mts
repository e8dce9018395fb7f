export interface ApiTypesOutput {
  doc: string;
  out: string;
  name: string;
}
export const outputs: ApiTypesOutput[];
export function generate(o: ApiTypesOutput): Promise<string>;
