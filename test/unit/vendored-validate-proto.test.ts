import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const run = promisify(execFile);
const vendored = "third_party/vendor/buf/validate/validate.proto";

describe("vendored buf/validate/validate.proto", () => {
  it("compiles (buf) to exactly the descriptor @bufbuild/protovalidate validates with", async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), "vendored-validate-"));
    try {
      const image = join(dir, "image.binpb");
      await run(join("node_modules", ".bin", "buf"), [
        "build",
        "--path",
        vendored,
        "--exclude-imports",
        "--exclude-source-info",
        "-o",
        image,
      ]);
      const file = fromBinary(FileDescriptorSetSchema, readFileSync(image)).file.find(
        (f) => f.name === "buf/validate/validate.proto",
      );
      assert.ok(file, "buf built the vendored file");
      // A buf image adds its own extension (8042, module facts) to each file: not part of the schema.
      file.$unknown = undefined;
      assert.ok(
        Buffer.from(toBinary(FileDescriptorProtoSchema, file)).equals(
          Buffer.from(toBinary(FileDescriptorProtoSchema, file_buf_validate_validate.proto)),
        ),
        `${vendored} differs from the package's descriptor: run scripts/vendor-protovalidate.ts`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
