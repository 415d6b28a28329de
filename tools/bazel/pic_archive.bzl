"""pic_static_archive: the static archive (.a) of one cc_library, under a fixed name.

    pic_static_archive(
        name = "libaotic_runtime",
        library = ":runtime_pic",   # a cc_library compiled with -fPIC (copts)
        out = "libaotic_runtime.a",
    )

Bazel 4 has no rule that hands out a cc_library's archive as a file of its own: its name depends
on the configuration (libX.a, or libX.pic.a when PIC and non-PIC objects are both built). This
rule takes it from the library's CcInfo (the library's own linker input, not its dependencies')
and links it to `out`, so a binary can ship it as data and find it by name.
"""

def _pic_static_archive_impl(ctx):
    library = ctx.attr.library
    archives = []
    for linker_input in library[CcInfo].linking_context.linker_inputs.to_list():
        if linker_input.owner != library.label:
            continue
        for lib in linker_input.libraries:
            # The PIC archive when Bazel builds both kinds; the library's copts make either PIC.
            archive = lib.pic_static_library or lib.static_library
            if archive != None:
                archives.append(archive)
    if len(archives) != 1:
        fail("%s: expected one static archive from %s, found %d" % (ctx.label, library.label, len(archives)))
    ctx.actions.symlink(output = ctx.outputs.out, target_file = archives[0])
    return [DefaultInfo(
        files = depset([ctx.outputs.out]),
        runfiles = ctx.runfiles(files = [ctx.outputs.out]),
    )]

pic_static_archive = rule(
    implementation = _pic_static_archive_impl,
    attrs = {
        "library": attr.label(mandatory = True, providers = [CcInfo]),
        "out": attr.output(mandatory = True),
    },
)
