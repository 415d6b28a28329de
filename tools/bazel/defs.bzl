"""aotic_model: compile a torch.export archive into a model.so as a Bazel action.

    load("//tools/bazel:defs.bzl", "aotic_model")

    aotic_model(
        name = "mlp",
        src = "mlp.pt2",
    )

    cc_binary(
        name = "serve",
        srcs = ["serve.cc"],
        deps = [":mlp"],  # #include "mlp.h" -> class aotic_models::mlp
    )

The compile is one action (mnemonic AoticCompile) running the aotic binary built in this
workspace. Its outputs depend only on its inputs (aotic writes no paths, times or temporary
names into them), so they are cached and shared like any other action's.
"""

def _aotic_compile_impl(ctx):
    so = ctx.actions.declare_file("%s/lib%s.so" % (ctx.attr.name, ctx.attr.class_name))
    header = ctx.actions.declare_file("%s/%s.h" % (ctx.attr.name, ctx.attr.class_name))
    args = ctx.actions.args()
    args.add("compile")
    args.add(ctx.file.src.path)
    args.add("-o", so.path)
    args.add("--opt", str(ctx.attr.opt))
    args.add("--shim-lib", ctx.file._shim.path)
    args.add("--runtime-lib", ctx.file._runtime.path)
    args.add("--header", header.path)
    args.add("--class-name", ctx.attr.class_name)
    if ctx.attr.pointwise:
        args.add("--pointwise", ctx.attr.pointwise)
    outputs = [so, header]
    if ctx.attr.weights == "external":
        args.add("--weights", "external")
        weights = ctx.actions.declare_file(so.basename + ".weights", sibling = so)
        outputs.append(weights)
    elif ctx.attr.weights != "embed":
        fail("weights must be 'embed' or 'external', got '%s'" % ctx.attr.weights)
    if ctx.attr.device != "cpu":
        fail("device '%s' is not supported yet: aotic_model compiles for cpu" % ctx.attr.device)

    # aotic copies the shim library beside model.so; in Bazel the library comes from its own
    # target instead, so the copy goes to a scratch name that is declared and then ignored.
    shim_copy = ctx.actions.declare_file("libaotic_shim.so", sibling = so)
    outputs.append(shim_copy)
    ctx.actions.run(
        executable = ctx.executable._aotic,
        arguments = [args],
        inputs = [ctx.file.src, ctx.file._shim, ctx.file._runtime],
        outputs = outputs,
        mnemonic = "AoticCompile",
        progress_message = "Compiling model %s with aotic" % ctx.file.src.short_path,
        # The C++ compiler comes from the host (PATH), as for Bazel's own C++ actions here.
        use_default_shell_env = True,
    )
    return [
        DefaultInfo(files = depset([so, header])),
        OutputGroupInfo(so = depset([so]), header = depset([header])),
    ]

_aotic_compile = rule(
    implementation = _aotic_compile_impl,
    attrs = {
        "src": attr.label(allow_single_file = [".pt2", ".json"], mandatory = True),
        "opt": attr.int(default = 2, values = [0, 1, 2, 3]),
        "weights": attr.string(default = "embed"),
        "device": attr.string(default = "cpu"),
        "pointwise": attr.string(default = ""),
        "class_name": attr.string(mandatory = True),
        "_aotic": attr.label(default = "//tools:aotic", executable = True, cfg = "exec"),
        "_shim": attr.label(default = "//shim:libaotic_shim.so", allow_single_file = True),
        # The precompiled runtime linked into the model.so (built for the target, like the shim).
        "_runtime": attr.label(default = "//runtime:libaotic_runtime.a", allow_single_file = True),
    },
)

def aotic_model(name, src, opt = 2, weights = "embed", device = "cpu", pointwise = "", visibility = None):
    """A cc_library `name` holding the compiled model and a header `<name>.h` declaring
    `aotic_models::<name>`, a class over the model's C interface (see aotic/model.h)."""
    compiled = name + "_aotic"
    _aotic_compile(
        name = compiled,
        src = src,
        opt = opt,
        weights = weights,
        device = device,
        pointwise = pointwise,
        class_name = name,
    )
    native.filegroup(name = name + "_so_file", srcs = [":" + compiled], output_group = "so")
    native.filegroup(name = name + "_header", srcs = [":" + compiled], output_group = "header")
    native.cc_import(
        name = name + "_so",
        shared_library = ":" + name + "_so_file",
    )
    native.cc_library(
        name = name,
        hdrs = [":" + name + "_header"],
        strip_include_prefix = compiled,
        deps = [
            ":" + name + "_so",
            "//runtime:model_api",
            "//shim:shim_import",
        ],
        visibility = visibility,
    )
