"""jupyter_kernel_test's protocol checks for a TypeScript kernel.

Run with the kernelspec on JUPYTER_PATH; KERNEL_NAME picks the kernel (default "sparselab",
"tslab" to measure plain tslab against the same checks):
    JUPYTER_PATH=<prefix>/share/jupyter /usr/bin/python3 -m unittest kernel_tests
"""

import os
import unittest

import jupyter_kernel_test


class TypeScriptKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("KERNEL_NAME", "sparselab")
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world");'
    code_stderr = 'console.error("oops");'
    code_generate_error = 'throw new Error("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "null", "result": "null"},
        {
            "code": '({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>hi</b>" }) })',
            "mime": "text/html",
            "result": "<b>hi</b>",
        },
        {
            "code": 'await Promise.resolve({ [Symbol.for("Jupyter.display")]: async () => ({ "text/markdown": "*hi*" }) })',
            "mime": "text/markdown",
            "result": "*hi*",
        },
    ]

    code_display_data = [
        {"code": 'require("tslab").display.html("<i>x</i>");', "mime": "text/html"},
        {"code": 'require("tslab").newDisplay().text("progress");', "mime": "text/plain"},
    ]

    completion_samples = [{"text": "Math.PI.toFix", "matches": {"toFixed"}}]
    complete_code_samples = ["1 + 1", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = ["]
    code_inspect_sample = "Math.max"

    def test_error_does_not_abort_next_request(self):
        """tslab aborts every request that arrives within 200 ms of an error."""
        self.flush_channels()
        self.kc.execute(self.code_generate_error)
        msg_id = self.kc.execute("1 + 1")
        replies = [self.get_non_kernel_info_reply(timeout=jupyter_kernel_test.TIMEOUT) for _ in range(2)]
        second = next(r for r in replies if r["parent_header"]["msg_id"] == msg_id)
        self.assertEqual(second["content"]["status"], "ok")

    def test_error_content(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper('throw new RangeError("out of range")')
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "RangeError")
        self.assertEqual(reply["content"]["evalue"], "out of range")
        self.assertEqual(output_msgs[0]["content"]["ename"], "RangeError")

    def test_compile_error(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper("const n: number = undefinedName;")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "CompileError")
        self.assertIn("undefinedName", reply["content"]["evalue"])
        self.assertEqual([m["msg_type"] for m in output_msgs], ["error"])

    def test_execute_result_has_execution_count(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper("40 + 2")
        results = [m for m in output_msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0]["content"]["execution_count"], reply["content"]["execution_count"])

    def test_undefined_shows_nothing(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper("undefined")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(output_msgs, [])


if __name__ == "__main__":
    unittest.main()
