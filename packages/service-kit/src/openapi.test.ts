import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { ErrorCodes, internalRouteDocs, internalRoutes, publicRouteDocs, publicRoutes, type RouteContract, type RouteDocs } from '@ludic/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import t from 'tap';
import { contractDocument, type OpenApiDocument } from './openapi.js';
import { openApiFiles, renderOpenApiDocuments } from './openapi-files.js';
import { validatorCompiler } from './validation.js';

const docsDir = new URL('../../../docs/', import.meta.url);
const committed = async (file: string) => readFile(new URL(file, docsDir), 'utf8');

type Operation = { operationId: string; security?: Record<string, string[]>[]; parameters?: { name: string; in: string; required?: boolean }[]; requestBody?: unknown; responses: Record<string, { content?: Record<string, { schema: unknown; examples?: Record<string, { value: unknown }>; example?: unknown }> }> };

function operationsOf(document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item ?? {})) operations.set(`${method.toUpperCase()} ${path}`, operation as Operation);
  }
  return operations;
}

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

t.test('the committed documents are what ./scripts/openapi generates from the contracts', async (t) => {
  const rendered = await renderOpenApiDocuments();
  for (const [kind, file] of Object.entries(openApiFiles)) {
    const current = await committed(file).catch(() => '');
    t.ok(current === rendered[kind as keyof typeof rendered], `docs/${file} is stale: run ./scripts/openapi and commit the result`);
  }
});

t.test('both documents are valid OpenAPI 3.1 for a maintained validator, which does reject a broken one', async (t) => {
  for (const file of Object.values(openApiFiles)) {
    const document = JSON.parse(await committed(file)) as OpenApiDocument;
    t.equal(document.openapi, '3.1.0', file);
    await t.resolves(SwaggerParser.validate(structuredClone(document) as never), `${file} validates`);
  }
  const broken = JSON.parse(await committed(openApiFiles.public)) as { paths: Record<string, Record<string, { responses: unknown }>> };
  broken.paths['/api/bets']!.post!.responses = { 201: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Nope' } } } } };
  await t.rejects(SwaggerParser.validate(broken as never), 'a dangling $ref and a response without description are refused');
});

t.test('every contract route is documented once, with its security, Idempotency-Key and error codes', async (t) => {
  const check = (document: OpenApiDocument, routes: Record<string, RouteContract>, docs: Record<string, RouteDocs>) => {
    const operations = operationsOf(document);
    for (const [name, contract] of Object.entries(routes)) {
      const operation = operations.get(`${contract.method} ${openApiPath(contract.url)}`);
      if (!t.ok(operation, `${name} is documented`) || !operation) continue;
      t.equal(operation.operationId, name);
      const security = operation.security?.flatMap((requirement) => Object.keys(requirement)) ?? [];
      const expected = { public: [], user: ['bearerAuth'], admin: ['bearerAuth'], service: ['internalToken'] }[contract.access];
      t.same(security, expected, `${name}: security for access ${contract.access}`);
      const key = operation.parameters?.find((parameter) => parameter.in === 'header' && parameter.name === 'idempotency-key');
      t.equal(key?.required === true, contract.idempotencyKey === true, `${name}: Idempotency-Key required iff the contract demands it`);
      const documentedCodes = Object.values(operation.responses).flatMap((response) => Object.keys(response.content?.['application/json']?.examples ?? {}));
      for (const code of docs[name]!.errors) t.ok(documentedCodes.includes(code), `${name} documents ${code}`);
      if (contract.access !== 'public') t.ok(documentedCodes.includes('UNAUTHORIZED'), `${name} documents UNAUTHORIZED`);
      if (contract.access === 'admin') t.ok(documentedCodes.includes('FORBIDDEN'), `${name} documents FORBIDDEN`);
      if (contract.schema.body) t.ok(operation.requestBody, `${name} documents its body`);
    }
  };
  check(await contractDocument('public'), publicRoutes, publicRouteDocs);
  check(await contractDocument('internal'), internalRoutes, internalRouteDocs);
});

t.test('every example in the documents is valid against the schema it illustrates', async (t) => {
  for (const file of Object.values(openApiFiles)) {
    const document = JSON.parse(await committed(file)) as OpenApiDocument;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    ajv.addSchema(document as object, 'doc');
    let examples = 0;
    for (const [key, operation] of operationsOf(document)) {
      const [, path] = key.split(' ');
      const method = key.split(' ')[0]!.toLowerCase();
      const pointer = (suffix: string) => `doc#/paths/${path!.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/${suffix}`;
      const body = (operation.requestBody as { content?: Record<string, { example?: unknown }> } | undefined)?.content?.['application/json'];
      if (body?.example !== undefined) {
        examples += 1;
        const validate = ajv.compile({ $ref: pointer('requestBody/content/application~1json/schema') });
        t.ok(validate(body.example), `${key}: body example ${JSON.stringify(validate.errors)}`);
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [code, example] of Object.entries(response.content?.['application/json']?.examples ?? {})) {
          examples += 1;
          const validate = ajv.compile({ $ref: pointer(`responses/${status}/content/application~1json/schema`) });
          t.ok(validate(example.value), `${key} ${status} ${code}: ${JSON.stringify(validate.errors)}`);
          t.equal(String(ErrorCodes[code as keyof typeof ErrorCodes]), status, `${code} is listed under its own status`);
        }
      }
    }
    t.ok(examples > 20, `${file} carries examples (${examples})`);
  }
});

t.test('request body examples also pass the validator the services use', async (t) => {
  for (const [routes, docs] of [[publicRoutes, publicRouteDocs], [internalRoutes, internalRouteDocs]] as const) {
    for (const [name, contract] of Object.entries(routes) as [string, RouteContract][]) {
      const example = (docs as Record<string, RouteDocs>)[name]!.bodyExample;
      t.equal(example !== undefined, contract.schema.body !== undefined, `${name}: a body example iff a body`);
      if (!example || !contract.schema.body) continue;
      const validate = validatorCompiler({ schema: contract.schema.body, httpPart: 'body', method: contract.method, url: contract.url });
      t.ok(validate(structuredClone(example)), `${name}: example body is accepted`);
    }
  }
});
