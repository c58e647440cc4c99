/**
 * Writes third_party/vendor/buf/validate/validate.proto from the descriptor that
 * `@bufbuild/protovalidate` embeds in its generated code (no npm package ships the .proto itself).
 * Printing the runtime's own descriptor means the rules buf compiles and the rules the validator
 * reads can never come from two versions. The upstream comments are not in that descriptor; the
 * README beside the file says where they are. Run after upgrading @bufbuild/protovalidate:
 *   node --import tsx scripts/vendor-protovalidate.ts
 * test/unit/vendored-validate-proto.test.ts checks the committed file against the package.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { getExtension, hasExtension, isFieldSet } from "@bufbuild/protobuf";
import type {
  DescriptorProto,
  EnumDescriptorProto,
  FieldDescriptorProto,
  FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import {
  predefined,
  RuleSchema,
  file_buf_validate_validate as validateFile,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const out = "third_party/vendor/buf/validate/validate.proto";
const pkg = JSON.parse(readFileSync("node_modules/@bufbuild/protovalidate/package.json", "utf8")) as {
  version: string;
};

/** A string literal the protobuf compiler reads back byte for byte. */
function quote(s: string): string {
  let r = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") r += "\\\\";
    else if (ch === '"') r += '\\"';
    else if (ch === "\n") r += "\\n";
    else if (c < 0x20 || c === 0x7f) r += `\\${c.toString(8).padStart(3, "0")}`;
    else r += ch;
  }
  return `${r}"`;
}

const scalar: Partial<Record<FieldDescriptorProto_Type, string>> = {
  [FieldDescriptorProto_Type.DOUBLE]: "double",
  [FieldDescriptorProto_Type.FLOAT]: "float",
  [FieldDescriptorProto_Type.INT64]: "int64",
  [FieldDescriptorProto_Type.UINT64]: "uint64",
  [FieldDescriptorProto_Type.INT32]: "int32",
  [FieldDescriptorProto_Type.FIXED64]: "fixed64",
  [FieldDescriptorProto_Type.FIXED32]: "fixed32",
  [FieldDescriptorProto_Type.BOOL]: "bool",
  [FieldDescriptorProto_Type.STRING]: "string",
  [FieldDescriptorProto_Type.BYTES]: "bytes",
  [FieldDescriptorProto_Type.UINT32]: "uint32",
  [FieldDescriptorProto_Type.SFIXED32]: "sfixed32",
  [FieldDescriptorProto_Type.SFIXED64]: "sfixed64",
  [FieldDescriptorProto_Type.SINT32]: "sint32",
  [FieldDescriptorProto_Type.SINT64]: "sint64",
};

const typeName = (f: FieldDescriptorProto) =>
  scalar[f.type] ?? f.typeName.replace(/^\.buf\.validate\./, "").replace(/^\./, "");

/** protoc's default json_name: lowerCamel of the field name. */
const defaultJsonName = (name: string) => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function fieldOptions(f: FieldDescriptorProto): string {
  const opts: string[] = [];
  if (f.jsonName !== "" && f.jsonName !== defaultJsonName(f.name)) opts.push(`json_name = ${quote(f.jsonName)}`);
  if (f.options !== undefined && hasExtension(f.options, predefined)) {
    for (const rule of getExtension(f.options, predefined).cel) {
      const parts = (["id", "message", "expression"] as const)
        .filter((k) => isFieldSet(rule, RuleSchema.field[k]))
        .map((k) => `    ${k}: ${quote(rule[k])}`);
      opts.push(`(buf.validate.predefined).cel = {\n${parts.join("\n")}\n  }`);
    }
  }
  return opts.length === 0 ? "" : ` [\n  ${opts.join(",\n  ")}\n]`;
}

const indent = (text: string, by: string) =>
  text
    .split("\n")
    .map((l) => (l === "" ? l : by + l))
    .join("\n");

function field(f: FieldDescriptorProto, inOneof: boolean): string {
  const label = inOneof
    ? ""
    : f.label === FieldDescriptorProto_Label.REPEATED
      ? "repeated "
      : f.label === FieldDescriptorProto_Label.REQUIRED
        ? "required "
        : "optional ";
  return `${label}${typeName(f)} ${f.name} = ${f.number}${fieldOptions(f)};`;
}

const range = (start: number, endExclusive: number) =>
  endExclusive - 1 === start ? `${start}` : `${start} to ${endExclusive === 536870912 ? "max" : endExclusive - 1}`;

function message(m: DescriptorProto): string {
  const body: string[] = [];
  let open: number | undefined;
  for (const f of m.field) {
    const oneof = isFieldSet(f, FieldDescriptorProtoSchema.field.oneofIndex) ? f.oneofIndex : undefined;
    if (open !== undefined && oneof !== open) {
      body.push("}");
      open = undefined;
    }
    if (oneof !== undefined && open === undefined) {
      body.push(`oneof ${m.oneofDecl[oneof]!.name} {`);
      open = oneof;
    }
    body.push(indent(field(f, oneof !== undefined), oneof !== undefined ? "  " : ""));
  }
  if (open !== undefined) body.push("}");
  if (m.extensionRange.length > 0)
    body.push(`extensions ${m.extensionRange.map((r) => range(r.start!, r.end!)).join(", ")};`);
  if (m.reservedRange.length > 0)
    body.push(`reserved ${m.reservedRange.map((r) => range(r.start!, r.end!)).join(", ")};`);
  if (m.reservedName.length > 0) body.push(`reserved ${m.reservedName.map(quote).join(", ")};`);
  if (m.nestedType.length > 0 || m.enumType.length > 0 || m.oneofDecl.some((o) => o.options !== undefined))
    throw new Error(`${m.name}: nested types or oneof options are not printed yet`);
  return `message ${m.name} {\n${indent(body.join("\n"), "  ")}\n}`;
}

function enumType(e: EnumDescriptorProto): string {
  const body = e.value.map((v) => `${v.name} = ${v.number};`);
  // Enum reserved ranges are inclusive, unlike message ones.
  if (e.reservedRange.length > 0)
    body.push(
      `reserved ${e.reservedRange.map((r) => (r.start === r.end ? `${r.start}` : `${r.start} to ${r.end}`)).join(", ")};`,
    );
  if (e.reservedName.length > 0) body.push(`reserved ${e.reservedName.map(quote).join(", ")};`);
  return `enum ${e.name} {\n${indent(body.join("\n"), "  ")}\n}`;
}

function print(file: FileDescriptorProto): string {
  const o = file.options!;
  const extendees = [...new Set(file.extension.map((x) => x.extendee))];
  return [
    `// Code generated by scripts/vendor-protovalidate.ts from the descriptor embedded in
// @bufbuild/protovalidate ${pkg.version}; DO NOT EDIT. Upstream source, with its comments:
// bufbuild/protovalidate, proto/protovalidate/buf/validate/validate.proto. See README.md here.
//
// Copyright Buf Technologies, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.`,
    `syntax = ${quote(file.syntax || "proto2")};`,
    `package ${file.package};`,
    file.dependency.map((d) => `import ${quote(d)};`).join("\n"),
    [
      `option go_package = ${quote(o.goPackage!)};`,
      `option java_multiple_files = ${o.javaMultipleFiles};`,
      `option java_outer_classname = ${quote(o.javaOuterClassname!)};`,
      `option java_package = ${quote(o.javaPackage!)};`,
    ].join("\n"),
    ...extendees.map(
      (ext) =>
        `extend ${ext.replace(/^\./, "")} {\n${indent(
          file.extension
            .filter((x) => x.extendee === ext)
            .map((x) => field(x, false))
            .join("\n"),
          "  ",
        )}\n}`,
    ),
    ...file.messageType.map(message),
    ...file.enumType.map(enumType),
  ].join("\n\n");
}

writeFileSync(out, `${print(validateFile.proto)}\n`);
console.log(`wrote ${out} from @bufbuild/protovalidate ${pkg.version}`);
