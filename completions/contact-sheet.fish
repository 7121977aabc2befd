function __contact-sheet_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __contact-sheet_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __contact-sheet_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __contact-sheet_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __contact-sheet_parse_tokens -S
    set -l unparsed_tokens (__contact-sheet_tokens -pc)
    switch $unparsed_tokens[1]
    case 'contact-sheet'
        __contact-sheet_parse_subcommand 0 'o/output=' 'columns=' 'tile-width=' 'v/verbose' 'q/quiet' 'log-format=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __contact-sheet_parse_subcommand -r 1 'version'
        end
    end
end

function __contact-sheet_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __contact-sheet_parse_subcommand -S -a positional_count
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

function __contact-sheet_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __contact-sheet_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__contact-sheet_tokens -p)
    if test -z "$(__contact-sheet_tokens -t)"
        set -l index (count (__contact-sheet_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'contact-sheet' -f
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" o output' -l 'output' -s 'o' -d 'Where to write the PNG.' -rfa '(for p in (string match -e -- \'*/\' (commandline -t);or printf \n)*.\'png\';printf %s\n $p;end;__fish_complete_directories (commandline -t) \'\')'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" columns' -l 'columns' -d 'Thumbnails per row.' -rfka ''
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" tile-width' -l 'tile-width' -d 'Thumbnail width in pixels (the height keeps the video\'s aspect ratio).' -rfka ''
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" version' -l 'version' -d 'Show the version.'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_positional "contact-sheet" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'contact-sheet' -n '__contact-sheet_should_offer_completions_for_flags_or_options "contact-sheet help" version' -l 'version' -d 'Show the version.'
