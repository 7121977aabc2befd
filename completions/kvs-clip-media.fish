function __kvs-clip-media_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-clip-media_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kvs-clip-media_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kvs-clip-media_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kvs-clip-media_parse_tokens -S
    set -l unparsed_tokens (__kvs-clip-media_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kvs-clip-media'
        __kvs-clip-media_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'join'
            __kvs-clip-media_parse_subcommand -r 1 'o/output=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        case 'duration'
            __kvs-clip-media_parse_subcommand 1 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        case 'thumbnail'
            __kvs-clip-media_parse_subcommand 1 'o/output=' 'at=' 'width=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        case 'help'
            __kvs-clip-media_parse_subcommand -r 1 'version'
        end
    end
end

function __kvs-clip-media_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kvs-clip-media_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __kvs-clip-media_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kvs-clip-media_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kvs-clip-media_tokens -p)
    if test -z "$(__kvs-clip-media_tokens -t)"
        set -l index (count (__kvs-clip-media_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kvs-clip-media' -f
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media" -eq 1' -fa 'join' -d 'Join MP4 pieces of one stream into one MP4 by stream copy.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media" -eq 1' -fa 'duration' -d 'Print the media\'s duration in seconds; 65 for a file with no audio or video, or of no length.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media" -eq 1' -fa 'thumbnail' -d 'Write a JPEG of one frame of the video.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" o output' -l 'output' -s 'o' -d 'The joined MP4.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'mp4\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media join" -ge 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'mp4\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media join" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media duration" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'mp4\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media duration" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media duration" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media duration" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media duration" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media duration" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_positional "kvs-clip-media thumbnail" -eq 1' -fa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'mp4\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" o output' -l 'output' -s 'o' -d 'The JPEG.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'jpg\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" at' -l 'at' -d 'Take the frame this far into the video instead of the first one.' -rfka ''
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" width' -l 'width' -d 'The width in pixels, 16 to 8192 (the height keeps the aspect ratio).' -rfka ''
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" version' -l 'version' -d 'Show the version.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media thumbnail" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kvs-clip-media' -n '__kvs-clip-media_should_offer_completions_for_flags_or_options "kvs-clip-media help" version' -l 'version' -d 'Show the version.'
