"""Everyday words per language: a question's word the knowledge base does not know is
evidence that the question is about something else, unless it is one of these.

"Keyboard", "projector", "Tastatur" are not in an IT desk's articles about
passwords and printers, and a question that says them is about something the
articles do not answer; "please", "yesterday", "Wochenende", "wczoraj" say
nothing about the subject, and neither do "working" or "new" when an article
happens to use them. These lists are ours, written by hand for this purpose:
the function words, greetings and closings of a mail, and the frequent verbs,
adverbs and adjectives of everyday writing (a few hundred a language, what a
frequency list's top would give without its topical nouns; product names
such as "Word" left out). A word listed here counts neither for an article
nor against it (`confidence`); the search's own stop words
(`words.STOP_WORDS`) stay as they are, so the ranking does not move. A
language without a list here counts every word.
"""

from __future__ import annotations

from functools import lru_cache

from postdesk.knowledge.words import base_language, stemmed

_TEXT: dict[str, str] = {
    "en": """
        a about above after again against ago all almost alone along already also although
        always am among an and another any anybody anyone anything anyway anywhere are
        around as ask asked asking at away back bad be became because become been before
        began begin behind being below best better between big both bring brought but by
        call called came can cannot can't could couldn come comes coming day days did didn
        different do does doesn doing don done down during each early either else end
        enough even ever every everybody everyone everything everywhere few find fine
        first for found from full further gave get gets getting give given go goes going
        gone good got great had hadn happen happened has hasn have haven having he hello
        help her here hers hey hi him his hold hour hours how however i if in instead into
        is isn it its itself just keep keeps kept kind know known last late later least
        left less let like likely little long look looked looking lot lots made make makes
        making many may maybe me mean might mine minute minutes month months more morning
        most much must my myself near need needed needs never new next nice no nobody none
        nor not nothing now of off often ok okay old on once one only or other others
        otherwise our ours out over own part past people perhaps please possible pretty
        probably put quite rather really right said same saw say says see seem seems seen
        several shall she should show showed shows side since so some somebody someone
        something sometimes somewhere soon sorry still such sure take taken takes tell
        than thank thanks that the their them themselves then there these they thing
        things think this those though three through till time times to today together
        told tomorrow too took toward tried tries try trying twice two under until up
        upon us use used using usual usually very via want wanted wants was wasn way we
        week weeks well went were weren what whatever when where whether which while who
        whole whom whose why will with within without won work worked works would
        wouldn yes yesterday yet you your yours yourself
        dear regards cheers sincerely faithfully best wishes advance team everyone folks
        colleagues sir madam hope kindly asap urgent urgently quick quickly question issue
        problem problems thing stuff support anybody hopefully appreciate appreciated
        soon possible morning afternoon evening monday tuesday wednesday thursday friday
        weekend attached below above regarding re fw fwd
        """,
    "de": """
        ab aber alle allem allen aller alles als also am an andere anderen anderer anderes
        auch auf aus bei beim bereits bin bis bisher bist bitte da dabei dafür damit dann
        darauf darf das dass davon dazu dein deine dem den denen denn der deren des dessen
        deshalb dich die dies diese diesem diesen dieser dieses dir doch dort du durch eben
        eigentlich ein eine einem einen einer eines einfach einige einmal er es etwa etwas
        euch euer eure falls fast für ganz gar gegen genau gerade gern gerne gestern gibt
        gleich gut gute guten habe haben hallo hast hat hatte hätte heute hier hin hinter
        ich ihm ihn ihnen ihr ihre ihrem ihren ihrer immer in ins ist ja jede jedem jeden
        jeder jedes jedoch jemand jetzt kann kannst kaum kein keine keinem keinen keiner
        könnt könnte könnten können lang lange leider letzte letzten machen macht mal man
        manchmal mehr mein meine meinem meinen meiner meines mich mir mit morgen muss musste
        müssen nach nachdem neben nein nicht nichts noch nun nur ob oder ohne schon sehr
        sein seine seinem seinen seiner seit selbst sich sie sind so sogar solche soll
        sollte sondern sonst sowie später statt tun um und uns unser unsere unter viel viele
        vielleicht vom von vor wann war waren warum was weil weiter weitere welche wenn wer
        werde werden wie wieder will wir wird wirklich wo wohl wollen wurde wurden würde
        zu zum zur zwar zwei zwischen
        hallo liebe lieber sehr geehrte geehrter damen herren kolleginnen kollegen team
        danke dank vielen besten beste freundlichen freundliche grüße gruß grüßen viele
        mfg lg vg voraus hilfe helfen bitten frage fragen problem probleme dringend schnell
        morgen tag tage woche wochen wochenende monat stunde stunden minute minuten heute
        gestern montag dienstag mittwoch donnerstag freitag vormittag nachmittag
        geht ging gehen kommt kommen komme kam sagen sagt gesagt sehen sieht gesehen geben
        gibt gegeben nehmen bekommen bekomme brauche brauchen braucht finden finde gefunden
        lassen lässt stehen steht bleiben bleibt denke denken glaube wissen weiß möchte
        möchten würden hätten wäre schreiben schreibe versucht versuchen probiert leider
        bereits neu neue neuen neuer alt alte groß klein richtig falsch ganz gleich
        anbei betreff aw wg zusammen weder funktioniert funktionieren funktionierte arbeite
        arbeiten arbeitet zeigt zeigen angezeigt erscheint meldet
        """,
    "pl": """
        a aby ale ani albo ależ bardzo bez bo był była byli było być będzie będę chce chcę
        chciał chciała chciałabym chciałbym co coś czy czyli dla do dlaczego dlatego dobrze
        dość dzisiaj dziś gdy gdyby gdzie go ich ile im inne inny jak jaki jakie jako jakoś
        je jeden jedna jednak jego jej jest jestem jeszcze jeśli jeżeli już ją każdy kiedy
        kilka kto która które który ku lub ma mają mam mamy mi mnie mną moja moje moim może
        można mój mu musi muszę my na nad nam nas nasz nasza nasze naszego naszej nawet
        nic nich nie niego niej niestety nigdy nim niż no nowy nowa nowe o od oraz on ona
        one oni ono po pod podczas ponieważ potem potrzebuję potrzebuje przed przez przy
        raz razy sam sama się sobie sobą są ta tak także tam te tego tej teraz też to tu
        tutaj ty tych tylko tym u w wam was we więc wszystko wszyscy wszystkie wtedy wy
        z za zawsze ze że żeby już
        dzień dobry witam witaj cześć hej szanowni szanowny szanowna państwo pan pani
        pozdrawiam pozdrowienia serdecznie poważaniem wyrazami szacunku dziękuję dzięki
        dziękujemy góry uprzejmie proszę prośba pomoc pomóc pomocy pytanie problem problemu
        pilne pilnie szybko wczoraj jutro rano dzisiaj tydzień tygodnia tygodniu weekend
        miesiąc godzina godzinę godziny minut poniedziałek wtorek środa czwartek piątek
        robić zrobić zrobił mogę mogą mógłby może możecie można trzeba widzę widać wiem
        wiadomo dostać dostałem dostałam mieć miał miała było było jest dalej nadal cały
        całe czas zawsze często nowego nowej stary dobry zły działa działać działało
        pracuje pracować pokazuje pokazać pojawia widzi
        """,
}


@lru_cache(maxsize=8)
def common_words(language: str) -> frozenset[str]:
    """The everyday words of `language` as the index compares them (stemmed, folded)."""
    lang = base_language(language)
    return frozenset(stemmed(_TEXT.get(lang, "").split(), lang))
